"""How Tandem runs for real; topology.py brings the deployed shape up on one machine."""
