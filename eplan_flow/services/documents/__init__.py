"""Official documents out: the forms as PDF and Excel, rendered at once or as background jobs."""
