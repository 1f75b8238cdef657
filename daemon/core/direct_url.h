/*
 * direct_url: what pip's direct_url.json (PEP 610, in a *.dist-info dir)
 * says of an install. gliad needs one thing of it: the source dir of an
 * editable install (`pip install -e`), which is then scanned and watched
 * instead of site-packages.
 */
#ifndef GLIA_DIRECT_URL_H
#define GLIA_DIRECT_URL_H

/*
 * The source dir of an editable install, from direct_url.json's text:
 * {"url": "file:///src/my%20pkg", "dir_info": {"editable": true}} gives
 * "/src/my pkg". malloc'd, or NULL when the install is not editable, is
 * not of a local dir (a VCS or archive URL), or the text is no such JSON.
 */
char *direct_url_editable_dir(const char *json);

#endif
