#include "mechname.h"
