"""Where the tests find the kit: ROOT, the project folder (kit, helpers/, course/, ...)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
