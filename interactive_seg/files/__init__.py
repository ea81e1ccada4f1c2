"""Files on disk: reading images, writing files whole or not at all, listing a dataset's images.

One module per idea, all on the ground floor: :mod:`.reading` (images turned upright as their
EXIF orientation says, sizes from headers), :mod:`.writing` (atomic writes, output folders) and
:mod:`.listing` (a folder's images without decoding them). Import from here.
"""

from .listing import IMAGE_SUFFIXES, ImageListing, image_filter, list_images, listing_order, looks_like_image
from .reading import (
    ExifIgnoredWarning,
    file_stamp,
    image_orientation,
    image_size,
    orient,
    read_image,
    read_indices,
    sizes_as_stored,
)
from .writing import (
    STALE_SECONDS,
    check_folder_path,
    check_json_output,
    check_output_file,
    ensure_folder,
    open_atomic,
    protection,
    remove_stale_temporaries,
    remove_stale_temporaries_of,
    uninterrupted,
    write_bytes_atomic,
    write_image,
    write_protected,
)

__all__ = [
    "read_image", "read_indices", "write_image", "write_bytes_atomic", "uninterrupted", "open_atomic", "remove_stale_temporaries", "remove_stale_temporaries_of", "STALE_SECONDS", "ensure_folder", "check_folder_path", "check_output_file", "check_json_output", "write_protected", "protection",
    "IMAGE_SUFFIXES", "ImageListing", "list_images", "looks_like_image", "image_filter", "listing_order",
    "ExifIgnoredWarning", "image_orientation", "image_size", "orient", "file_stamp", "sizes_as_stored",
]  # fmt: skip
