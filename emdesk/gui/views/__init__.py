"""What a model kind draws: each view module hosts the plots of one kind (see ``emdesk.gui.kinds``)."""
