"""Mentors, matching and mentorships."""
