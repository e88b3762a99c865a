"""What a careless or hostile user does (issue 16), as one suite: ``python -m pytest tests/adversarial``
(add ``-m "not slow"`` to skip the child-process full-disk score).

- test_outputs: reports and files on a full disk (RLIMIT_FSIZE in a child), ``/dev/full``, folders, symlinks,
  umask, short writes, a closed stdout pipe, outputs checked before scoring, references from another pack
- test_identity: same-size edits, named pipes, the old sampled hash recognised and upgraded, no cache folder
- test_sidecars: another video's sidecar, older sidecars, damaged and non-finite result files
- test_damage: corrupt frames and truncation reach the result, JSON, summary, cache, batch CSV and PDF
- test_packs: huge sizes in a manifest, zip bombs, lying zip headers, NaN weights, the default pack removed
- test_batch_inputs: cp1252 / NaN / duplicate labels, one labelled video, two batches at once, full disk
- test_user_folders: wrong settings types, a user folder that cannot be created, a full cache folder
- test_gui: the window with FIFOs, folders, read-only settings, foreign or corrupt sidecars, damage shown
- test_files: random-bytes weight files

Simulations need no mounts: a full disk is RLIMIT_FSIZE or a monkeypatched ENOSPC; a read-only folder is
a monkeypatched write or os.access (root ignores chmod); a folder that cannot be created is a plain file
standing where the folder should be.
"""
