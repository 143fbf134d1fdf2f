// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nestioctl list: the PCI devices that have a VFIO cdev or are bound to
 * vfio-pci (with --all, every PCI device), from sysfs alone: no /dev/iommu
 * needed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "nestioctl.h"
#include "sysfs.h"

struct pci_row {
	char bdf[BDF_LEN];
	char vendor[16], device[16];	/* "0x1234" as sysfs has them */
	char driver[64];		/* "" none */
	char group[16];			/* "" none */
	char iommu[64];			/* "" none */
	char cdev[PATH_MAX];		/* "" none */
};

/* "0x1234" -> "1234" */
static const char *id(const char *s)
{
	return strncmp(s, "0x", 2) ? s : s + 2;
}

static void read_row(const char *bdf, struct pci_row *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->bdf, bdf, strlen(bdf) + 1);	/* checked: < BDF_LEN */
	if (pci_attr(bdf, "vendor", p->vendor, sizeof(p->vendor)) < 0)
		p->vendor[0] = '\0';
	if (pci_attr(bdf, "device", p->device, sizeof(p->device)) < 0)
		p->device[0] = '\0';
	if (pci_link(bdf, "driver", p->driver, sizeof(p->driver)) < 0)
		p->driver[0] = '\0';
	if (pci_link(bdf, "iommu_group", p->group, sizeof(p->group)) < 0)
		p->group[0] = '\0';
	if (pci_link(bdf, "iommu", p->iommu, sizeof(p->iommu)) < 0)
		p->iommu[0] = '\0';
	if (pci_cdev(bdf, p->cdev, sizeof(p->cdev)) < 0)
		p->cdev[0] = '\0';
}

/* "" -> null in JSON, "-" in text */
static void json_opt(struct json *j, const char *key, const char *s)
{
	json_string(j, key, *s ? s : NULL);
}

static const char *text_opt(const char *s)
{
	return *s ? s : "-";
}

static int is_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int cmd_list(int argc, char **argv)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		CMD_COMMON_OPTIONS
	};
	char path[PATH_MAX];
	struct dirent **names = NULL;
	struct pci_row row;
	bool all = false;
	struct json j;
	int c, r, n, shown = 0;

	while ((c = getopt_long(argc, argv, CMD_COMMON_SHORT "a", options, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if ((r = cmd_options(c, argc, argv)) >= 0)
			return r;
	}
	if (need_args(argc, argv, 0) < 0)
		return EXIT_USAGE;
	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root());
	n = scandir(path, &names, is_entry, alphasort);
	if (n < 0) {
		errmsg(path, -errno);
		return EXIT_FAILURE;
	}
	tool_json(&j);
	if (opt_json) {
		json_object_begin(&j, NULL);
		json_array_begin(&j, "devices");
	} else {
		printf("%-13s %-10s %-12s %-6s %-10s %s\n", "BDF", "ID",
		       "DRIVER", "GROUP", "IOMMU", "CDEV");
	}
	for (int i = 0; i < n; i++) {
		if (strlen(names[i]->d_name) >= BDF_LEN)
			continue;	/* not a PCI address */
		read_row(names[i]->d_name, &row);
		/* a VFIO variant driver (vendor-specific vfio-pci) has a
		 * cdev too */
		if (!all && !row.cdev[0] && strcmp(row.driver, "vfio-pci") != 0)
			continue;
		shown++;
		if (opt_json) {
			json_object_begin(&j, NULL);
			json_string(&j, "bdf", row.bdf);
			json_string(&j, "vendor", id(row.vendor));
			json_string(&j, "device", id(row.device));
			json_opt(&j, "driver", row.driver);
			json_opt(&j, "iommu_group", row.group);
			json_opt(&j, "iommu", row.iommu);
			json_opt(&j, "cdev", row.cdev);
			json_object_end(&j);
		} else {
			char vd[40];

			snprintf(vd, sizeof(vd), "%.15s:%.15s", id(row.vendor),
				 id(row.device));
			printf("%-13s %-10s %-12s %-6s %-10s %s\n", row.bdf, vd,
			       text_opt(row.driver), text_opt(row.group),
			       text_opt(row.iommu), text_opt(row.cdev));
		}
	}
	if (opt_json) {
		json_array_end(&j);
		json_object_end(&j);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!opt_json && !shown && !all)
		fprintf(stderr, "%s: no device is bound to vfio-pci (see '%s list --all')\n",
			prog, prog);
	return EXIT_SUCCESS;
}
