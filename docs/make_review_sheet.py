"""The user guide's example review sheet: objects of the sample images, segmented with GrabCut.

    python docs/make_review_sheet.py

Segments a few objects of sample_images/ with ``iseg.segment`` (a box each, as a user
would draw it), saves them in a COCO file in a temporary folder with CocoDocument, and
draws docs/images/review.png with ``interactive_seg.review.contact_sheet``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# (image, class, box x0, y0, x1, y1) as one would drag them in the widget
OBJECTS = [
    ("coffee.png", "cup", (70, 10, 490, 395)),
    ("chelsea.png", "cat", (20, 10, 440, 300)),
    ("astronaut.png", "person", (10, 10, 370, 512)),
    ("astronaut.png", "helmet", (275, 340, 512, 512)),
    ("astronaut.png", "rocket", (350, 0, 470, 290)),
    ("astronaut.png", "flag", (0, 0, 100, 512)),
    ("rocket.jpg", "rocket", (295, 120, 345, 410)),
    ("rocket.jpg", "tower", (0, 0, 95, 427)),
    ("rocket.jpg", "tower", (160, 115, 215, 427)),
    ("rocket.jpg", "tower", (430, 115, 485, 427)),
    ("rocket.jpg", "tower", (550, 0, 640, 427)),
]


def main() -> int:
    import interactive_seg as iseg
    from interactive_seg.coco import CocoDocument
    from interactive_seg.review import contact_sheet

    os.chdir(HERE.parent)  # the sheet names the images' folder as given: keep it relative
    images = Path("sample_images")
    doc = CocoDocument()
    records = {}
    engine = iseg.get_engine("grabcut")
    for file_name, category, box in OBJECTS:
        image = iseg.read_image(images / file_name)
        if file_name not in records:
            records[file_name] = doc.add_image(file_name, width=image.shape[1], height=image.shape[0])
        mask = iseg.segment(image, box=box, engine=engine)
        doc.add_annotation(records[file_name]["id"], mask, category)
    with tempfile.TemporaryDirectory() as tmp:
        coco = doc.save(Path(tmp) / "samples.coco.json")
        sheet = contact_sheet(coco, Path("docs/images/review.png"), images=images, per_page=len(OBJECTS))
    for tile in sheet.tiles:
        print(f"{tile.title:14s} {tile.file_name:14s} {tile.area} px {tile.note}")
    print("wrote", *sheet.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
