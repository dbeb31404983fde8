"""(being written)"""

from flask import Blueprint

bp = Blueprint("catalogue_pages", __name__)
