"""(being written)"""

from flask import Blueprint

bp = Blueprint("catalogue_sparql", __name__)
