/** The "Resolutions" view of the nav_bar app (placeholder until the view lands). */
import { useFirstRenderMark } from '../../shared/hooks';
import { EmptyState } from '../../shared/states';
import { useI18n } from '../../i18n/I18nProvider';

export function ResolutionsView() {
  const { t } = useI18n();
  useFirstRenderMark(true);
  return <EmptyState title={t('resolutions.title')} />;
}
