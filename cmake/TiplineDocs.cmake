# Man pages and bash completion: filled in below.
