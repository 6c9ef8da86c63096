// zlib, as Debian installs it (zlib1g-dev): NablaData inflates gzip files and NablaViz deflates PNG data with it.
#include <zlib.h>
