"""Tools that are not the server at run time (bench, soak): kept apart so the production
import graph stays clean."""
