"""What the plan delivered: yearly execution, year-end actuals, the monitoring and evaluation report."""
