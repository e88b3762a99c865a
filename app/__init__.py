"""VATP Studio's Qt layer. It reaches the model only through the inference worker."""
