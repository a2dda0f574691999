"""The back office (Flask-Admin), built per app so tests can make many apps."""
from flask_admin import Admin


def init_admin(app) -> Admin:
    admin = Admin(app, name="eplan-flow", url="/admin")
    return admin
