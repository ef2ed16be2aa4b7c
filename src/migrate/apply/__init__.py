"""Applying a ChangeSet to the user's tree."""
