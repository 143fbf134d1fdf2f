/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NESTIO_TESTS_EDU_H
#define NESTIO_TESTS_EDU_H
#endif
