from neuraxis.perception.bodymap import plot_body_map  # noqa: F401  moved to neuraxis.viz.bodymap
