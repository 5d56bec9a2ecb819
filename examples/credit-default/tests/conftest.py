import os
import sys

# In Azure ML the scripts run from src/ (code: ../src) and import each other
# as top-level modules; the tests do the same.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
