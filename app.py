"""F-Principle Explorer: `streamlit run app.py`."""

import streamlit as st

from ui.common import device_selector, language_selector, tr

st.set_page_config(page_title="F-Principle Explorer", page_icon="📈", layout="wide")
language_selector()

# (page file, title key, icon, url path)
PAGES = [
    ("pages/home.py", "app.home", "🏠", "home"),
    ("pages/fig13_sine_fit.py", "sine-fit.title", "〰️", "sine-fit"),
    ("pages/fig14_staircase.py", "staircase.title", "📶", "staircase"),
    ("pages/fig16_equal_amplitude.py", "equal-amplitude.title", "🌡️", "equal-amplitude"),
    ("pages/fig17_image.py", "image-fit.title", "🖼️", "image-fit"),
    ("pages/sec16_beyond_gd.py", "beyond-gd.title", "🧭", "beyond-gd"),
]

navigation = st.navigation([
    st.Page(path, title=tr(title), icon=icon, url_path=url, default=url == "home")
    for path, title, icon, url in PAGES
])
device_selector()
navigation.run()
