"""The one exception type a user of interactive_seg needs to catch."""


class InputError(ValueError):
    """Something the caller gave us cannot be used; the message says what to do instead.

    Raised for every mistake a user can make: an empty box, a box off the image, an image
    that is not 2-D, scribbles of one kind only, a missing checkpoint, an unwritable output
    folder. It subclasses ``ValueError`` so generic handlers still catch it.
    """


class IncompletePrompts(InputError):
    """The prompts cannot give a mask yet, as after the first stroke of a normal pair
    (marks of one kind only, no box): the next prompt usually completes them, so a door
    may say it quietly where it says other errors aloud."""
