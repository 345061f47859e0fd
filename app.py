"""F-Principle Explorer: `streamlit run app.py`. The pages follow from the registry of experiments."""

from pathlib import Path

import streamlit as st

from fpengine.registry import EXPERIMENTS
from ui import links
from ui.common import classroom_switch, device_selector, language_selector, live_style, tr
from ui.pages import page_file

st.set_page_config(page_title="F-Principle Explorer", page_icon="📈", layout="wide")
language_selector()
classroom_switch()
live_style()

HERE = Path(__file__).resolve().parent

home = st.Page(HERE / "app_pages/home.py", title=tr("app.home"), icon=":material/home:", url_path="home", default=True)
navigation = st.navigation(
    [
        home,
        *(
            st.Page(HERE / page_file(experiment), title=tr(experiment.title_key), icon=experiment.icon, url_path=experiment.name)
            for experiment in EXPERIMENTS.values()
        ),
        st.Page(HERE / "app_pages/lab.py", title=tr("lab.title"), icon=":material/science:", url_path="lab"),
    ]
)
link_area = st.sidebar.empty()
device_selector(EXPERIMENTS.get(navigation.url_path))
notice_area = st.empty()
links.begin(navigation.url_path)
navigation.run()
links.finish(notice_area, link_area)
