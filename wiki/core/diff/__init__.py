"""Line and word diffs, three-way merge and blame over page texts (pure)."""
