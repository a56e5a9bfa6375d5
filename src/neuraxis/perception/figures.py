from neuraxis.viz.scs import plot_recruitment, plot_spine_section  # noqa: F401  moved to neuraxis.viz.scs
