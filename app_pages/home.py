import streamlit as st

from fpengine.registry import EXPERIMENTS
from ui.common import tr

st.title(tr("app.title"))
st.markdown(f"*{tr('app.tagline')}*")
st.subheader(tr("app.what"))
st.markdown(tr("app.what_body"))
st.subheader(tr("app.pages"))
st.markdown(
    "\n".join(
        [
            *(f"- **{tr(e.title_key)}** — {tr(e.description_key)}" for e in EXPERIMENTS.values()),
            f"- **{tr('lab.title')}** — {tr('lab.description')}",
        ]
    )
)
st.markdown(tr("app.how"))
st.caption(tr("app.cli"))
