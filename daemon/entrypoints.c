#include "entrypoints.h"
