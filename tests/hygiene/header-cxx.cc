// SPDX-License-Identifier: LGPL-2.1-or-later
// The public header must compile alone as C++ (C++11, -pedantic-errors).
#include <libnestio.h>

int main()
{
	nestio_hw_caps caps = {};
	caps.sz = sizeof(caps);
	nestio_ctx *ctx = nullptr;
	return (nestio_ctx_unref(ctx) != nullptr) + (caps.sz != sizeof(caps));
}
