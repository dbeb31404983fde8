"""(being written)"""

from flask import Blueprint

bp = Blueprint("catalogue_querypage", __name__)
