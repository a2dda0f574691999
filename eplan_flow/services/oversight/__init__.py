"""Status across the LAOs a district, province or DLA oversees."""
