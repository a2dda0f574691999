"""Year-end actuals and the monitoring and evaluation report."""
from flask import Blueprint

bp = Blueprint("results", __name__)
