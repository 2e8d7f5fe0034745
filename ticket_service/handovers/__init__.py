"""Handovers: a ticket transferred to another station and returned, linked as a duplicate, or its owner
asking the community's secretary for the backstop."""
