"""Extension objects, made here and bound to the app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Keyed by the client address as Flask sees it: with PROXY_HOPS set, ProxyFix
# has already replaced remote_addr by the address the proxy saw.
limiter = Limiter(key_func=get_remote_address)
