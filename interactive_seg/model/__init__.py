"""The annotation model's storage pieces: the folder lock and the change journal of a session."""
