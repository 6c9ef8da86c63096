// libjpeg-turbo's TurboJPEG API, as Debian installs it (libturbojpeg0-dev): NablaData reads and writes JPEG
// files with it, and NablaTrust's JPEG defence compresses images through it.
#include <turbojpeg.h>
