"""Streamlit helpers shared by every page (the only place besides pages/ and app.py that imports streamlit)."""
