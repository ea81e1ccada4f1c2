"""The napari plugin: the only package of interactive_seg that imports napari, Qt or magicgui."""
