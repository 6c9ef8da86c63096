// OpenBLAS's CBLAS interface and LAPACKE, as Debian installs them (libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
