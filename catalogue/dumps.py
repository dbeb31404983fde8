"""(being written)"""

from flask import Blueprint

bp = Blueprint("catalogue_dumps", __name__)
