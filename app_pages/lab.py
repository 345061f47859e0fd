from ui.lab import lab_page

lab_page()
