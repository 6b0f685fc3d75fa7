"""What the charity publishes: the public catalog of campaigns and reports, their
editing by staff, and uploaded photos. Imports books, mail and the shared services."""
