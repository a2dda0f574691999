"""Oversight dashboards for district and provincial offices and DLA."""
from flask import Blueprint

bp = Blueprint("oversight", __name__)
