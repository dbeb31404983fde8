"""(being written)"""

from flask import Blueprint

bp = Blueprint("catalogue_feeds", __name__)
