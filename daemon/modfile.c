#include "modfile.h"
