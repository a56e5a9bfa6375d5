"""Recruitment and perception: thresholds of a program, recruitment curves, somatotopy, body map, coverage of the pain map."""
