from neuraxis.viz.field import plot_cross_section  # noqa: F401  moved to neuraxis.viz.field
