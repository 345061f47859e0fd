"""F-Principle Explorer: `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from ui.common import device_selector, language_selector, tr

st.set_page_config(page_title="F-Principle Explorer", page_icon="📈", layout="wide")
language_selector()

HERE = Path(__file__).resolve().parent

# (page file, title key, icon, url path)
PAGES = [
    ("app_pages/home.py", "app.home", "🏠", "home"),
    ("app_pages/fig13_sine_fit.py", "sine-fit.title", "〰️", "sine-fit"),
    ("app_pages/fig14_staircase.py", "staircase.title", "📶", "staircase"),
    ("app_pages/fig16_equal_amplitude.py", "equal-amplitude.title", "🌡️", "equal-amplitude"),
    ("app_pages/fig17_image.py", "image-fit.title", "🖼️", "image-fit"),
    ("app_pages/fig110_projection.py", "projection.title", "🔦", "projection"),
    ("app_pages/fig112_filtering.py", "filtering.title", "🧹", "filtering"),
    ("app_pages/sec16_beyond_gd.py", "beyond-gd.title", "🧭", "beyond-gd"),
]

navigation = st.navigation([
    st.Page(HERE / path, title=tr(title), icon=icon, url_path=url, default=url == "home")
    for path, title, icon, url in PAGES
])
device_selector()
navigation.run()
