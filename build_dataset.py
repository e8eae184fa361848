"""Build the ViX-Ray dataset folder: ``python build_dataset.py [SOURCE] [--out DIR]`` = ``vixray build ...``.

With no SOURCE it writes the synthetic demo corpus to ./vixray, after which, from this folder,
``datasets.load_dataset("vixray")`` loads it offline. ``python build_dataset.py --help`` lists the options.
"""

import sys

from vixray_data.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
