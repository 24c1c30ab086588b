"""The portal's roles: Django groups with permissions, created by a data migration.

The permissions of each role are defined once, in migration
``0002_roles``; these names are how code and the demo data refer to them.
"""

VIEWER = "Viewer"
EDITOR = "Editor"
SCHEDULER = "Scheduler"
COORDINATOR = "Coordinator"
ADMINISTRATOR = "Administrator"

ALL = (VIEWER, EDITOR, SCHEDULER, COORDINATOR, ADMINISTRATOR)
