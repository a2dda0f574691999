"""What each person works on, across the contexts below: the sections of their home page."""
