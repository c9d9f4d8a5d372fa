"""What every domain shares and no domain owns: settings, database, errors, time, audit."""
